class StandaloneSuite:
    pass
