"""Approvals: calls that wait for the user's yes before they go to Port (the profile's "Ask before").

model.py      ApprovalRequest and Decision: what is asked and what the answer can be; Asker, how a front end answers
rule.py       needs_approval: the profile's Ask before over read-only mode's classification (pure)
broker.py     Broker: remembered "for this session" approvals, the registered Asker with its timeout, the answers to
              the bridge's own elicitation requests
"""
