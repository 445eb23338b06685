"""Building blocks of the local AWS emulator gateway (entry point: ../gateway.py).

moto does the real emulation; this package only adds what moto lacks or what the
tests need to control: the CloudWatch RPCv2-CBOR protocol, CloudTrail LookupEvents,
fault injection and a request log.
"""
