"""Activity: every `tools/call` that went through the bridge (HTTP and stdio), what came of it, kept as JSON Lines.

record.py     CallRecord, one call as Activity shows it and the file holds it (one JSON object per line)
recorder.py   Recorder, where the proxy hands each record (must not block); NoRecorder when activity is off
outcome.py    complete(record, answer): ok / tool_error / error and Port's run id, read off the raw answer (pure)
"""
