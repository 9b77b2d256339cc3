"""Approvals: calls that wait for the user's yes before they go to Port (the profile's "Ask before").

model.py      ApprovalRequest and Decision: what is asked and what the answer can be; Asker, how a front end answers
"""
