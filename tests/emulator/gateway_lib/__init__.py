"""Building blocks of the local AWS emulator gateway (entry point: ../gateway.py).

moto does most of the emulation; this package only adds what moto lacks or gets wrong
and what the tests need to control: the CloudWatch RPCv2-CBOR protocol, CloudWatch
metric data with CloudWatch's own matching rules, CloudTrail LookupEvents, Cost
Explorer, Organizations ListAccounts (who may list, paging), fault and odd-data
injection and a request log.
"""
