"""Analysis of policies and whole accounts: who is exposed to whom, what a policy can never
grant, and how a principal could escalate.

Pure, like :mod:`iamd.policy`: no I/O and no store.  The Access Analyzer service, the
``iamd analyze`` command and the console all call into it with documents they have loaded.
"""
