"""HTTP mechanisms shared by the gateway and every service's internal API: the response envelope and error
shape, signed cursors, listing of read models, and the exception handlers that answer in that shape."""
