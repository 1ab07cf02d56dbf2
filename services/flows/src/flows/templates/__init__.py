"""Flow templates: ready-made workflow definitions kept as data files (library/*.yaml), listed, shown and cloned
into a draft workflow of the caller's workspace."""
