"""Fuzzing ``parse_policy``: it returns a Policy or raises MalformedPolicyError, nothing else.

The design says "fail closed: a malformed policy is an error at parse time", and the IAM
service turns ``MalformedPolicyError`` into AWS's ``MalformedPolicyDocument``.  Any other
exception escaping the parser would surface as an internal error instead, and a policy that
parses but cannot be compiled or evaluated would break authorization later, far from the cause.
So for every input - arbitrary JSON values, valid policies with random mutations, arbitrary
text and bytes - these tests check that:

* ``parse_policy`` returns a :class:`~iamd.policy.Policy` or raises
  :class:`~iamd.policy.MalformedPolicyError` whose ``errors`` is a non-empty list of
  :class:`~iamd.policy.PolicyError`, each with a message and a JSON pointer (RFC 6901) that
  resolves inside the document, ``""`` being the root;
* every document that parses also compiles and evaluates a few requests without raising.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.property import reference
from tests.property import strategies as gen

from iamd.policy import (
    Evaluator,
    MalformedPolicyError,
    Policy,
    PolicyError,
    PolicyKind,
    PolicySet,
    Request,
    parse_policy,
)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

KINDS = tuple(PolicyKind)
FIELD_NAMES = (
    "Version",
    "Id",
    "Statement",
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "AWS",
    "Service",
    "Federated",
    "CanonicalUser",
    "StringEquals",
    "ForAnyValue:StringLike",
    "NumericLessThanIfExists",
    "DateGreaterThan",
    "Null",
    "aws:username",
)
"""Keys the parser looks for, so that random JSON gets past the first checks."""

NASTY: tuple[Any, ...] = (
    10**4400,
    "1" * 400,
    "9" * 4400,
    float("nan"),
    float("inf"),
    -0.0,
    2**63,
    "",
    " ",
    "\x00",
    "\ud800",
    "${",
    "${aws:username",
    "${}",
    "*" * 40,
    "arn:",
    ":::::",
    "arn:aws:s3:::b/${*}${?}${$}",
    "NaN",
    "1e400",
    "2024-13-45T99:99:99Z",
    "9999-12-31T23:59:59-23:59",
    "::ffff:10.0.0.1/200",
    "=",
    True,
    None,
    [],
    {},
    [[]],
    {"": {}},
)
"""Values that have broken parsers before: huge numbers, odd floats, surrogates, unclosed
variables, empty containers, values just past a limit."""

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(FIELD_NAMES),
    st.sampled_from(("Allow", "Deny", "*", "s3:GetObject", "arn:aws:s3:::b/*", "2012-10-17")),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8)), children),
    ),
    max_leaves=30,
)


# --------------------------------------------------------------------------------------------
# Mutations of valid documents
# --------------------------------------------------------------------------------------------

Path = tuple[str | int, ...]


def _paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every node of a JSON value, by path from the root."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _get(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step]
    return value


def _set(root: Any, path: Path, new: Any) -> Any:
    """``root`` with the node at ``path`` replaced (in place, except for the root)."""
    if not path:
        return new
    _get(root, path[:-1])[path[-1]] = new
    return root


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """One random mutation of ``document``: replace a node with random JSON or a nasty value,
    delete or rename a key, add an unknown one, wrap a value in a list or unwrap it, change
    its type, or cut a string short."""
    root = copy.deepcopy(document)
    paths = list(_paths(root))
    # Condition values are where typed parsing (numbers, dates, addresses) happens: aim there
    # half the time.
    values = [p for p in paths if "Condition" in p and len(p) > p.index("Condition") + 2]
    aim = bool(values) and draw(st.booleans())
    path = draw(st.sampled_from(values if aim else paths))
    node = _get(root, path)
    parent = _get(root, path[:-1]) if path else None
    how = draw(
        st.sampled_from(
            (
                "json",
                "nasty",
                "nasty",
                "delete",
                "rename",
                "add",
                "wrap",
                "unwrap",
                "stringify",
                "truncate",
            )
        )
    )
    if how == "json":
        return _set(root, path, draw(json_values))
    if how == "nasty":
        return _set(root, path, draw(st.sampled_from(NASTY)))
    if how == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
        return root
    if how == "delete" and isinstance(parent, list):
        del parent[int(path[-1])]
        return root
    if how == "rename" and isinstance(parent, dict):
        key = path[-1]
        assert isinstance(key, str)
        new_key = draw(st.sampled_from((key.lower(), key.upper(), key + " ", f"Not{key}")))
        parent.setdefault(new_key, parent.pop(key))
        return root
    if how == "add" and isinstance(node, dict):
        node.setdefault(draw(st.sampled_from(FIELD_NAMES)), draw(json_values))
        return root
    if how == "wrap":
        return _set(root, path, [node])
    if how == "unwrap" and isinstance(node, list) and node:
        return _set(root, path, node[0])
    if how == "stringify":
        try:
            return _set(root, path, json.dumps(node))
        except ValueError:  # an integer past Python's digit limit cannot be written
            return root
    if how == "truncate" and isinstance(node, str) and node:
        return _set(root, path, node[: draw(st.integers(0, len(node) - 1))])
    return root


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[Any, PolicyKind]:
    """A valid policy of a random kind after one to four mutations."""
    kind = draw(st.sampled_from(KINDS))
    shape = {"trust": "resource", "scp": "scp", "rcp": "rcp"}.get(kind.value, "identity")
    document: Any = draw(gen.documents(shape))
    if kind is PolicyKind.TRUST and isinstance(document, dict):
        for statement in reference.statements(document):
            statement.pop("Resource", None)
            statement.pop("NotResource", None)
            statement.setdefault("Principal", "*")
    for _ in range(draw(st.integers(1, 4))):
        document = draw(mutated(document))
    return document, kind


# --------------------------------------------------------------------------------------------
# The properties
# --------------------------------------------------------------------------------------------


def resolves(root: Any, pointer: str) -> bool:
    """Whether an RFC 6901 JSON pointer names a node of ``root``."""
    if pointer == "":
        return True
    if not pointer.startswith("/"):
        return False
    node = root
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            if token not in node:
                return False
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit() or (token != "0" and token.startswith("0")):
                return False
            if int(token) >= len(node):
                return False
            node = node[int(token)]
        else:
            return False
    return True


REQUESTS = (
    Request.build(
        "arn:aws:sts::111111111111:assumed-role/Admin/build",
        "s3:GetObject",
        "arn:aws:s3:::app-data/alice/notes.txt",
        {
            "aws:username": "alice",
            "aws:SourceIp": "10.1.2.3",
            "aws:CurrentTime": "2024-06-01T12:00:00Z",
            "aws:EpochTime": "1717243200",
            "aws:MultiFactorAuthPresent": "true",
            "s3:max-keys": "5",
            "aws:TagKeys": ["team", "env"],
            "aws:PrincipalArn": "arn:aws:iam::111111111111:role/Admin",
        },
        "111111111111",
    ),
    Request.build("arn:aws:iam::222222222222:user/carol", "ec2:DescribeInstances", "*"),
)
"""A same-account session with a full context, and a bare cross-account user request."""


def _policy_set(policy: Policy) -> PolicySet:
    """Put ``policy`` where its kind belongs (a trust policy acts as a resource policy)."""
    kind = policy.kind
    if kind in (PolicyKind.RESOURCE, PolicyKind.TRUST):
        return PolicySet(resource=policy)
    if kind is PolicyKind.BOUNDARY:
        return PolicySet(boundary=policy)
    if kind is PolicyKind.SESSION:
        return PolicySet(session=policy)
    if kind is PolicyKind.SCP:
        return PolicySet(scp=[[policy]])
    if kind is PolicyKind.RCP:
        return PolicySet(rcp=[[policy]])
    return PolicySet(identity=[policy])


def _root_of(text: str | bytes) -> Any:
    """The JSON value the parser sees, or ``None`` when the text is not JSON (then only the
    root pointer can be meant)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def check_parse(document: Any, kind: PolicyKind) -> None:
    """The contract: a usable Policy, or MalformedPolicyError with located errors."""
    root = _root_of(document) if isinstance(document, (str, bytes)) else document
    try:
        policy = parse_policy(document, kind, "fuzz")
    except MalformedPolicyError as exc:
        assert isinstance(exc.errors, list)
        assert exc.errors, "MalformedPolicyError without errors"
        for error in exc.errors:
            assert isinstance(error, PolicyError), error
            assert isinstance(error.message, str)
            assert error.message, error
            assert resolves(root, error.pointer), f"{error.pointer!r} is not in the document"
        return
    assert isinstance(policy, Policy)
    assert policy.kind is kind
    evaluator = Evaluator(_policy_set(policy))
    for request in REQUESTS:
        outcome = evaluator.evaluate(request).outcome.value
        assert outcome in ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied")


@FUZZ
@given(json_values, st.sampled_from(KINDS))
def test_arbitrary_json_values(document: Any, kind: PolicyKind) -> None:
    """Any JSON value at all, passed as the parsed document."""
    check_parse(document, kind)


@FUZZ
@given(mutated_documents())
def test_mutated_policies(case: tuple[Any, PolicyKind]) -> None:
    """Valid policies of every kind after random mutations, as parsed values."""
    document, kind = case
    check_parse(document, kind)


@FUZZ
@given(mutated_documents())
def test_mutated_policies_as_text(case: tuple[Any, PolicyKind]) -> None:
    """The same, serialised to JSON text first (NaN and Infinity as Python writes them)."""
    document, kind = case
    try:
        text = json.dumps(document)
    except ValueError:  # an integer past Python's digit limit cannot even be written
        return
    check_parse(text, kind)


@FUZZ
@given(
    st.one_of(
        st.text(),
        st.binary(),
        json_values.map(json.dumps),
        st.builds(lambda s, n: s[:n], json_values.map(json.dumps), st.integers(0, 40)),
        st.sampled_from(('{"a": 1, "a": 2}', "[" * 5000, "{" * 100000, '{"Statement": NaN}')),
    ),
    st.sampled_from(KINDS),
)
def test_arbitrary_text(text: str | bytes, kind: PolicyKind) -> None:
    """Any text or bytes: JSON, truncated JSON, invalid UTF-8, duplicate keys, deep nesting."""
    check_parse(text, kind)


# --------------------------------------------------------------------------------------------
# Evaluation never raises, whatever the request carries
# --------------------------------------------------------------------------------------------

VALID_VALUES = {
    "StringEquals": "${test:Key}",
    "StringNotEqualsIgnoreCase": "abc",
    "StringLike": "a*${test:Key}?",
    "StringNotLike": "*",
    "NumericLessThan": "5",
    "NumericNotEquals": "2.5",
    "DateLessThan": "2024-06-01T12:00:00Z",
    "DateNotEquals": "1717243200",
    "Bool": "true",
    "BinaryEquals": "YWJj",
    "IpAddress": "10.0.0.0/8",
    "NotIpAddress": "2001:db8::/32",
    "ArnLike": "arn:aws:iam::*:user/${test:Key}",
    "ArnNotEquals": "arn:aws:s3:::b/*",
}
"""One valid policy value per operator; the request side is what gets fuzzed."""

NASTY_TEXT = (
    *(v for v in NASTY if isinstance(v, str)),
    "-" + "1" * 400,
    "1" * 400 + ".5",
    "99999-01-01T00:00:00Z",
    "0000-01-01",
    "1.2.3.4/33",
)
request_texts = st.one_of(
    st.text(max_size=30), st.sampled_from(NASTY_TEXT), st.sampled_from(NASTY_TEXT)
)


@settings(FUZZ, max_examples=1500)
@given(
    operator=st.sampled_from(reference.OPERATOR_NAMES),
    qualifier=st.sampled_from(("", "", "ForAllValues:", "ForAnyValue:")),
    suffix=st.sampled_from(("", "", "IfExists")),
    value=st.one_of(
        request_texts,
        st.integers(),
        st.floats(),
        st.booleans(),
        st.sampled_from(NASTY),
        st.lists(st.one_of(request_texts, st.integers()), max_size=3),
    ),
    as_text=st.booleans(),
)
def test_any_condition_value(
    operator: str, qualifier: str, suffix: str, value: Any, as_text: bool
) -> None:
    """Typed condition values (numbers, dates, booleans, base64, addresses, ARNs) are parsed
    by each operator's own code: any value at all must parse or be reported as malformed."""
    document = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {f"{qualifier}{operator}{suffix}": {"test:Key": value}},
        },
    }
    if not as_text:
        check_parse(document, PolicyKind.IDENTITY)
        return
    try:
        text = json.dumps(document)
    except ValueError:  # an integer past Python's digit limit cannot even be written
        return
    check_parse(text, PolicyKind.IDENTITY)


@settings(FUZZ, max_examples=1500)
@given(
    operator=st.sampled_from(sorted(VALID_VALUES)),
    qualifier=st.sampled_from(("", "ForAllValues:", "ForAnyValue:")),
    suffix=st.sampled_from(("", "IfExists")),
    value=st.one_of(request_texts, st.lists(request_texts, max_size=3)),
    action=st.one_of(st.just("s3:GetObject"), request_texts),
    resource=st.one_of(st.just("arn:aws:s3:::b/k"), request_texts),
)
def test_evaluation_never_raises_on_request_values(
    operator: str, qualifier: str, suffix: str, value: Any, action: str, resource: str
) -> None:
    """``Evaluator.evaluate`` promises never to raise for a well-formed request: context
    values, actions and resources come from callers (``s3:max-keys``, object keys), so any
    text there must give a decision, not an exception."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {
                    f"{qualifier}{operator}{suffix}": {"test:Key": VALID_VALUES[operator]}
                },
            },
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${test:Key}"},
            {"Effect": "Deny", "NotAction": "s3:Get*", "NotResource": "arn:aws:s3:::${test:Key}"},
        ],
    }
    policy = parse_policy(document, PolicyKind.IDENTITY, "fuzz")
    request = Request.build(
        "arn:aws:iam::111111111111:user/alice", action, resource, {"test:Key": value}
    )
    outcome = Evaluator(PolicySet(identity=[policy])).evaluate(request).outcome.value
    assert outcome in ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied")
