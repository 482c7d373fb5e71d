"""buckets/lifecycle.py: S3's lifecycle rules, one semantic rule per test (pure, no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from buckets import lifecycle
from buckets.lifecycle import Action, Behaviour, Entry, Upload

T0 = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
AWS = Behaviour()


def rules(*documents):
    return lifecycle.rules_from_s3(documents)


def current(key="a", at=T0, size=10, **kw):
    return Entry(key=key, version_id=kw.pop("vid", "v-cur"), last_modified=at, size=size, is_latest=True, **kw)


def older(key="a", at=T0 - timedelta(days=30), vid="v-old", size=10, **kw):
    return Entry(key=key, version_id=vid, last_modified=at, size=size, is_latest=False, **kw)


def effects_of(rule_set, entries, versioned=True, behaviour=AWS):
    return {(e.version_id, f.action, f.at, f.rule_id) for e, fs in lifecycle.key_effects(
        rule_set, entries, versioned=versioned, behaviour=behaviour) for f in fs}


def test_days_count_from_creation_and_round_up_to_the_next_midnight_utc():
    # AWS's own example: created 10:30 on the 15th, 3 days -> midnight starting the 19th.
    found = effects_of(rules({"ID": "r", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 3}}),
                       [current()], versioned=False)
    assert found == {("v-cur", Action.EXPIRE, datetime(2026, 1, 19, tzinfo=UTC), "r")}


def test_a_moment_at_midnight_is_not_pushed_to_the_next_day():
    assert lifecycle.next_midnight(datetime(2026, 1, 19, tzinfo=UTC)) == datetime(2026, 1, 19, tzinfo=UTC)


def test_midnight_rounding_is_exact_for_any_offset_and_every_fraction_of_a_second():
    from dateutil.tz import tzutc  # what boto3 puts on a listing's LastModified

    def reference(moment):
        moment = moment.astimezone(UTC)
        floor = datetime.combine(moment.date(), datetime.min.time(), UTC)
        return floor if moment == floor else floor + timedelta(days=1)

    plus_two = timezone(timedelta(hours=2))
    moments = [datetime(2026, 1, 19, tzinfo=UTC), datetime(2026, 1, 19, 0, 0, 0, 1, tzinfo=UTC),
               datetime(2026, 1, 18, 23, 59, 59, 999999, tzinfo=tzutc()), datetime(2026, 1, 19, 2, tzinfo=plus_two),
               datetime(1999, 12, 31, 23, 59, 59, tzinfo=tzutc()), datetime(2026, 3, 29, 1, 30, 0, 500000, tzinfo=UTC)]
    moments += [T0 + timedelta(seconds=n * 7919.123457) for n in range(500)]
    for moment in moments:
        assert lifecycle.next_midnight(moment) == reference(moment), moment
        assert lifecycle.next_midnight(moment).tzinfo is UTC


def test_an_expiration_date_applies_from_that_midnight_and_to_newer_objects_at_once():
    rule_set = rules({"ID": "d", "Status": "Enabled", "Filter": {"Prefix": ""},
                      "Expiration": {"Date": datetime(2026, 1, 10, tzinfo=UTC)}})
    assert effects_of(rule_set, [current(at=datetime(2026, 1, 1, tzinfo=UTC))], versioned=False) == {
        ("v-cur", Action.EXPIRE, datetime(2026, 1, 10, tzinfo=UTC), "d")}
    assert effects_of(rule_set, [current()], versioned=False) == {("v-cur", Action.EXPIRE, T0, "d")}


def test_prefix_filters_in_every_shape_endpoints_send():
    for doc in ({"Filter": {"Prefix": "logs/"}}, {"Prefix": "logs/"}, {"Filter": {"And": {"Prefix": "logs/"}}}):
        rule = lifecycle.rule_from_s3({"ID": "p", "Status": "Enabled", "Expiration": {"Days": 1}, **doc})
        assert rule.filter.prefix == "logs/"
    rule_set = rules({"ID": "p", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 1}})
    assert effects_of(rule_set, [current("logs/x")], versioned=False)
    assert not effects_of(rule_set, [current("data/x")], versioned=False)


def test_tag_filters_need_every_tag_and_read_rgw_shape_too():
    aws = lifecycle.rule_from_s3({"ID": "t", "Filter": {"And": {"Prefix": "a", "Tags": [
        {"Key": "tier", "Value": "cold"}, {"Key": "team", "Value": "x"}]}}, "Expiration": {"Days": 1}})
    rgw = lifecycle.rule_from_s3({"ID": "t", "Filter": {"Prefix": "a", "Tag": {"Key": "tier", "Value": "cold"}},
                                  "Expiration": {"Days": 1}})
    assert aws.filter.tags == (("tier", "cold"), ("team", "x")) and rgw.filter.tags == (("tier", "cold"),)
    assert effects_of([aws], [current(tags={"tier": "cold", "team": "x", "other": "1"})], versioned=False)
    assert not effects_of([aws], [current(tags={"tier": "cold"})], versioned=False)
    assert lifecycle.rule_may_need_tags([aws], "a/b") and not lifecycle.rule_may_need_tags([aws], "b")


def test_size_filters_are_strict_and_combine_with_and():
    rule_set = rules({"ID": "s", "Status": "Enabled", "Expiration": {"Days": 1}, "Filter": {"And": {
        "Prefix": "", "ObjectSizeGreaterThan": 100, "ObjectSizeLessThan": 1000}}})
    assert not effects_of(rule_set, [current(size=100)], versioned=False)
    assert effects_of(rule_set, [current(size=101)], versioned=False)
    assert not effects_of(rule_set, [current(size=1000)], versioned=False)


def test_an_endpoint_that_ignores_size_filters_expires_small_objects_too_and_the_preview_says_so():
    rgw = Behaviour(size_filters=False)
    rule_set = rules({"ID": "big", "Status": "Enabled", "Expiration": {"Days": 1},
                      "Filter": {"And": {"Prefix": "s/", "ObjectSizeGreaterThan": 100}}})
    assert effects_of(rule_set, [current("s/tiny", size=1)], versioned=False, behaviour=rgw)
    warnings = lifecycle.rule_warnings(rule_set, rgw, "Ceph RADOS Gateway")
    assert "ignores size filters" in warnings[0] and "“s/”" in warnings[0]


def test_expiration_of_a_current_version_in_a_versioned_bucket_leaves_older_versions_alone():
    found = effects_of(rules({"ID": "e", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}),
                       [current(), older()])
    assert found == {("v-cur", Action.EXPIRE, datetime(2026, 1, 17, tzinfo=UTC), "e")}


def test_noncurrent_days_count_from_when_the_successor_was_written():
    successor = T0
    found = effects_of(rules({"ID": "n", "Status": "Enabled", "Filter": {},
                              "NoncurrentVersionExpiration": {"NoncurrentDays": 2}}),
                       [current(at=successor), older(at=successor - timedelta(days=100))])
    assert found == {("v-old", Action.EXPIRE_NONCURRENT, datetime(2026, 1, 18, tzinfo=UTC), "n")}


def test_newer_noncurrent_versions_keeps_that_many_newest_noncurrent_versions():
    entries = [current(at=T0)] + [older(at=T0 - timedelta(days=n), vid=f"v{n}") for n in (1, 2, 3)]
    found = effects_of(rules({"ID": "k", "Status": "Enabled", "Filter": {},
                              "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 2}}),
                       entries)
    assert {f[0] for f in found} == {"v3"}


def test_noncurrent_rules_do_nothing_in_a_bucket_that_was_never_versioned():
    assert not effects_of(rules({"ID": "n", "Status": "Enabled", "Filter": {},
                                 "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}),
                          [current(), older()], versioned=False)


def test_expired_object_delete_marker_is_removed_once_no_version_is_behind_it():
    marker = current(at=T0, is_delete_marker=True, vid="dm")
    rule_set = rules({"ID": "m", "Status": "Enabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True}})
    assert effects_of(rule_set, [marker]) == {("dm", Action.REMOVE_DELETE_MARKER, T0, "m")}
    assert not effects_of(rule_set, [current(at=T0, is_delete_marker=True, vid="dm"), older()])


def test_a_marker_goes_after_the_last_version_behind_it_is_deleted():
    rule_set = rules({"ID": "m", "Status": "Enabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True}},
                     {"ID": "n", "Status": "Enabled", "Filter": {}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}})
    found = effects_of(rule_set, [current(at=T0, is_delete_marker=True, vid="dm"), older()])
    assert ("v-old", Action.EXPIRE_NONCURRENT, datetime(2026, 1, 17, tzinfo=UTC), "n") in found
    assert ("dm", Action.REMOVE_DELETE_MARKER, datetime(2026, 1, 17, tzinfo=UTC), "m") in found


def test_a_days_rule_removes_expired_delete_markers_on_aws_but_not_where_the_endpoint_keeps_them():
    rule_set = rules({"ID": "e", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}})
    marker = [current(at=T0, is_delete_marker=True, vid="dm")]
    assert effects_of(rule_set, marker) == {("dm", Action.REMOVE_DELETE_MARKER, datetime(2026, 1, 17, tzinfo=UTC), "e")}
    assert not effects_of(rule_set, [current(at=T0, is_delete_marker=True, vid="dm")],
                          behaviour=Behaviour(days_remove_expired_delete_markers=False))


def test_abort_incomplete_multipart_upload_counts_from_initiation():
    rule_set = rules({"ID": "a", "Status": "Enabled", "Filter": {"Prefix": "up/"},
                      "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}})
    effect = lifecycle.upload_effect(rule_set, Upload("up/big", "u1", T0))
    assert effect.action == Action.ABORT_UPLOAD and effect.at == datetime(2026, 1, 23, tzinfo=UTC)
    assert lifecycle.upload_effect(rule_set, Upload("other", "u2", T0)) is None


def test_transitions_and_noncurrent_transitions_move_to_colder_classes_only():
    rule_set = rules({"ID": "t", "Status": "Enabled", "Filter": {},
                      "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
                      "NoncurrentVersionTransitions": [{"NoncurrentDays": 10, "StorageClass": "GLACIER"}]})
    found = effects_of(rule_set, [current(), older()])
    assert {(f[0], f[1]) for f in found} == {("v-cur", Action.TRANSITION), ("v-old", Action.TRANSITION_NONCURRENT)}
    assert len([f for f in found if f[0] == "v-cur"]) == 2
    assert not effects_of(rule_set, [current(storage_class="GLACIER")])


def test_aws_does_not_transition_objects_smaller_than_its_minimum():
    rule_set = rules({"ID": "t", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]})
    assert not effects_of(rule_set, [current(size=1000)], behaviour=Behaviour(transition_min_bytes=128 * 1024))


def test_a_size_filter_in_the_rule_replaces_the_default_transition_minimum():
    # AWS: "Custom filters always take precedence over the default transition behavior."
    small = Behaviour(transition_min_bytes=128 * 1024)
    rule_set = rules({"ID": "t", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 500},
                      "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]})
    assert effects_of(rule_set, [current(size=1000)], versioned=False, behaviour=small)
    assert not effects_of(rule_set, [current(size=500)], versioned=False, behaviour=small)
    assert lifecycle.rule_warnings(rule_set, small, "AWS") == []
    # Where the endpoint ignores the size, its default minimum stays.
    ignored = Behaviour(transition_min_bytes=128 * 1024, size_filters=False)
    assert not effects_of(rule_set, [current(size=1000)], versioned=False, behaviour=ignored)


def test_where_size_filters_are_not_offered_the_preview_assumes_the_worst_and_says_so():
    unknown = Behaviour(size_filters=False, size_filters_offered=False)
    rule_set = rules({"ID": "big", "Status": "Enabled", "Expiration": {"Days": 1},
                      "Filter": {"ObjectSizeGreaterThan": 100}})
    assert effects_of(rule_set, [current("tiny", size=1)], versioned=False, behaviour=unknown)
    (warning,) = lifecycle.rule_warnings(rule_set, unknown, "DigitalOcean Spaces")
    assert "does not offer size filters" in warning and "every object in the bucket" in warning


def test_permanent_deletion_wins_over_a_transition_on_the_same_day():
    rule_set = rules({"ID": "gone", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 30}},
                     {"ID": "cold", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]})
    assert {f[1] for f in effects_of(rule_set, [current()], versioned=False)} == {Action.EXPIRE}


def test_a_transition_wins_over_delete_marker_creation_on_the_same_day():
    rule_set = rules({"ID": "gone", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 30}},
                     {"ID": "cold", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]})
    found = sorted(effects_of(rule_set, [current()]), key=lambda f: f[2])
    assert [f[1] for f in found] == [Action.TRANSITION, Action.EXPIRE]
    assert found[1][2] - found[0][2] == timedelta(days=1)


def test_of_two_transitions_on_one_day_the_colder_class_wins_and_of_two_expirations_the_earliest():
    rule_set = rules({"ID": "ia", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}]},
                     {"ID": "gl", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]},
                     {"ID": "late", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 60}},
                     {"ID": "early", "Status": "Enabled", "Filter": {"Prefix": "a"}, "Expiration": {"Days": 40}})
    found = effects_of(rule_set, [current()], versioned=False)
    assert {(f[1], f[3]) for f in found} == {(Action.TRANSITION, "gl"), (Action.EXPIRE, "early")}


def test_disabled_rules_do_nothing():
    assert not effects_of(rules({"ID": "off", "Status": "Disabled", "Filter": {}, "Expiration": {"Days": 1}}),
                          [current()], versioned=False)


@pytest.mark.parametrize("doc", [
    {"Expiration": {"Days": 1, "ExpiredObjectDeleteMarker": True}},
    {"Filter": {"Tag": {"Key": "a", "Value": "b"}}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
    {"Expiration": {"Days": "soon"}},
])
def test_rule_sets_s3_would_refuse_are_refused_with_a_sentence(doc):
    with pytest.raises(lifecycle.RuleError):
        lifecycle.rules_from_s3([{"ID": "bad", "Status": "Enabled", **doc}])


def test_horizons_are_cumulative_and_a_short_day_does_not_round():
    tally = lifecycle.Tally()
    tally.add("30", 5)
    assert tally.count == {"now": 0, "7": 0, "30": 1, "90": 1, "365": 1} and tally.bytes["365"] == 5
    short = Behaviour(day=timedelta(seconds=10), round_to_midnight=False)
    assert lifecycle.due(T0, 2, short) == T0 + timedelta(seconds=20)
    assert lifecycle.horizon_of(T0 + timedelta(seconds=65), T0, short) == "7"
    assert lifecycle.horizon_of(T0 + timedelta(days=400), T0) is None
