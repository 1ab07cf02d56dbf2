"""Gateway: the only public HTTP entry; maps HTTP to commands and queries, holds no business rules."""
