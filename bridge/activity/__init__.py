"""Activity: every `tools/call` that went through the bridge (HTTP and stdio), what came of it, kept as JSON Lines.

record.py     CallRecord, one call as Activity shows it and the file holds it (one JSON object per line)
"""
