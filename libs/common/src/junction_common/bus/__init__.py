"""Kafka plumbing on FastStream (aiokafka underneath): broker, relay, retrying consumers."""
