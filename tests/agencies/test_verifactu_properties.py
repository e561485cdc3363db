"""Whatever a GOBL document holds, converting it gives a record the AEAT's schema
accepts or a ``ConversionError``: never another exception (a crashed job)."""

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.agencies.verifactu_samples import AT, EXAMPLES, SOFTWARE, example
from workflows.agencies.aeat import schemas, verifactu

DOCS = [example(name) for name in EXAMPLES]

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        ["1e999999", "-0.00", "NaN", "21%", "A\x00B\x1f", "ES", "S1", "E1", "R1", "I", "9" * 20]
    ),
    st.just({}),
    st.just([]),
    st.just([{}]),
)


def paths(node, prefix=()):
    """Every path to a value inside ``node``."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*prefix, index))


def damaged(doc, path, value):
    doc = copy.deepcopy(doc)
    if not path:
        return value
    target = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return doc


def leaves(doc):
    """Paths to the scalars: what a conversion reads (objects are damaged too, rarely)."""
    return [p for p in paths(doc) if not isinstance(value_at(doc, p), dict | list)]


def value_at(doc, path):
    for step in path:
        doc = doc[step]
    return doc


@st.composite
def damaged_documents(draw):
    doc = draw(st.sampled_from(DOCS))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        choices = leaves(doc) if draw(st.integers(0, 4)) else list(paths(doc))
        path = draw(st.sampled_from(choices or [()]))
        doc = damaged(doc, path, draw(odd_values))
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_documents(), st.booleans())
def test_a_damaged_document_converts_or_says_why(doc, cancel):
    build = verifactu.cancellation if cancel else verifactu.registration
    try:
        record = build(doc, previous=None, generated_at=AT, software=SOFTWARE)
    except verifactu.ConversionError as error:
        assert error.code and error.message
        return
    assert schemas.validate(record.xml) == []
    assert verifactu.fingerprint(record.xml) == record.fingerprint
