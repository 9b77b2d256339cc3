"""Activity: every `tools/call` that went through the bridge (HTTP and stdio), what came of it, kept as JSON Lines.

record.py     CallRecord, one call as Activity shows it and the file holds it (one JSON object per line)
recorder.py   Recorder, where the proxy hands each record (must not block); NoRecorder when activity is off
outcome.py    complete(record, answer): ok / tool_error / error and Port's run id, read off the raw answer (pure)
log.py        ActivityLog, the bridge's Recorder: a bounded queue and one writer thread; activity_log(settings)
file.py       ActivityFile: activity.jsonl in the log folder, 0600, symlink-safe, rotated by size to activity.1.jsonl
redact.py     redact_arguments: the logs' redaction, and values under secret-looking keys replaced
reader.py     recent (newest first, filtered by Query), stamp, follow (through rotations): the file read back
links.py      run_link: an action run's page in Port's web app for the profile's region
"""
