"""Forms (workflow-api): definitions and submissions, written synchronously through the service's executor."""
