class SentinelSuite:
    pass
