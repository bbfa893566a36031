class ScriptsSuite:
    pass
