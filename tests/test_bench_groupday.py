"""The group day's check of acknowledged writes (bench/groupday.py): what counts as missing."""

from bench.groupday import Ack, Stored, ballot_key, missing_writes

SAVE, COMMENT, BALLOT = "agenda item save", "comment", "ballot"


def test_every_acknowledged_write_found_is_not_missing():
    acks = [Ack(SAVE, "7", "gd 0.1"), Ack(SAVE, "7", "gd 0.5"), Ack(COMMENT, "/r/3", "gd 1.2")]
    stored = Stored(
        history={(SAVE, "7", "gd 0.1"), (SAVE, "7", "gd 0.5"), (COMMENT, "/r/3", "gd 1.2")},
        current={(SAVE, "7"): "gd 0.5"},
        applied={(SAVE, "7"): 2},
    )
    assert missing_writes(acks, stored) == []


def test_a_save_absent_from_the_history_is_missing():
    acks = [Ack(SAVE, "7", "gd 0.1"), Ack(SAVE, "7", "gd 0.5")]
    stored = Stored(history={(SAVE, "7", "gd 0.5")}, current={(SAVE, "7"): "gd 0.5"}, applied={(SAVE, "7"): 2})
    assert missing_writes(acks, stored) == [Ack(SAVE, "7", "gd 0.1")]


def test_a_comment_not_stored_is_missing():
    acks = [Ack(COMMENT, "/r/3", "gd 1.2"), Ack(COMMENT, "/r/3", "gd 1.9")]
    stored = Stored(history={(COMMENT, "/r/3", "gd 1.2")})
    assert missing_writes(acks, stored) == [Ack(COMMENT, "/r/3", "gd 1.9")]


def test_fewer_writes_counted_than_acknowledged_misses_the_last_ones():
    acks = [Ack(BALLOT, "1:28", "4,1"), Ack(BALLOT, "1:28", "2,3"), Ack(BALLOT, "1:28", "4,1")]
    stored = Stored(current={(BALLOT, "1:28"): "4,1"}, applied={(BALLOT, "1:28"): 1})
    assert missing_writes(acks, stored) == acks[1:]


def test_the_object_must_show_the_last_acknowledged_write():
    acks = [Ack(BALLOT, "1:28", "4,1"), Ack(BALLOT, "1:28", "2,3")]
    stored = Stored(current={(BALLOT, "1:28"): "4,1"}, applied={(BALLOT, "1:28"): 2})
    assert missing_writes(acks, stored) == [Ack(BALLOT, "1:28", "2,3")]


def test_one_more_write_than_acknowledged_is_the_unanswered_last_request():
    """A write sent as the run ended is applied but never answered: it hides nothing acknowledged."""
    acks = [Ack(BALLOT, "1:28", "4,1")]
    stored = Stored(current={(BALLOT, "1:28"): "2,3"}, applied={(BALLOT, "1:28"): 2})
    assert missing_writes(acks, stored) == []


def test_a_ballot_never_stored_misses_every_acknowledged_cast():
    acks = [Ack(BALLOT, "1:28", "4,1"), Ack(BALLOT, "1:28", "2,3")]
    stored = Stored(applied={(BALLOT, "1:28"): 0})
    assert missing_writes(acks, stored) == acks


def test_ballot_key_keeps_the_order_of_a_ranking():
    assert ballot_key([4, 1, 2]) == "4,1,2"
    assert ballot_key([]) == ""
