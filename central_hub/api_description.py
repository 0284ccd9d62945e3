"""placeholder"""
from webapp import openapi as oa
def describe():
    return oa.document("hub", "0", "", {})
