"""Calls to a remote voice agent over SIP (a platform's SIP endpoint, a PBX, a bot).

The SIP stack is baresip, through the `baresip-python` binding (prebuilt wheels that
bundle baresip and libre; PCM audio in and out of Python; the binding Pipecat uses).
The parts: the account and URI (`account`), the process's one stack (`stack`), one
call's line with its audio pump and sample clock (`line`), the SIP message trace
(`trace`), the two-channel recording (`recording`), the far end's speech analysis
(`analysis`), the call wired to the session (`call`), scenarios over SIP (`scenario`)
and the terminal call (`terminal`).
"""
