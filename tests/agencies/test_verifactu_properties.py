"""Whatever a GOBL document holds, converting it gives a record the AEAT's schema
accepts or a ``ConversionError``: never another exception (a crashed job)."""

import contextlib
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


def _answers():
    from datetime import date

    day = date(2024, 12, 4)
    lines = [
        verifactu.Line("B98602642", "SAMPLE-004", day, "Correcto"),
        verifactu.Line(
            "B98602642",
            "SAMPLE-006",
            day,
            "Incorrecto",
            "3000",
            duplicate=verifactu.Duplicate("1", "Correcta"),
        ),
    ]
    held = [verifactu.Held("B98602642", "SAMPLE-004", day, "AB" * 32, "Correcto")]
    submission = verifactu.build_submission_answer(
        verifactu.SubmissionAnswer("ParcialmenteCorrecto", 60, lines),
        issuer="B98602642",
        issuer_name="Provide One S.L.",
    )
    query = verifactu.build_query_answer(
        issuer="B98602642",
        issuer_name="P",
        year=2024,
        month=12,
        held=held,
        next_page=("B98602642", "SAMPLE-004", day),
    )
    return submission, query


SUBMISSION_ANSWER, QUERY_ANSWER = _answers()
READERS = [
    verifactu.parse_submission_answer,
    verifactu.parse_query_answer,
    verifactu.read_submission,
    verifactu.read_query,
]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([SUBMISSION_ANSWER, QUERY_ANSWER]),
    st.integers(min_value=0, max_value=4000),
    st.integers(min_value=0, max_value=40),
    st.binary(max_size=12) | st.sampled_from([b"\xc2\xb2", b"-1", b"<", b"&amp;", b"99-99-9999"]),
    st.sampled_from(READERS),
)
def test_a_damaged_answer_is_read_or_refused_never_a_crash(body, start, length, insert, read):
    start = start % len(body)
    damaged = body[:start] + insert + body[start + length :]
    with contextlib.suppress(verifactu.AnswerError, verifactu.SoapFault):
        read(damaged)
