"""The flows service's pure decisions and folds: no I/O, no clock."""
