"""Line spans: how worker processes enter a line-oriented file in the middle.

``line_spans`` must give, at each span, exactly the line and record numbers a
reader from the top would have reached there -- blank and whitespace-only
lines, CRLF, a byte-order mark and a missing final newline included -- and
every adapter that ``can_split`` must yield from a span the same records it
yields when it reads the whole file and skips to them.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marsad import pipeline
from marsad.ingest import ADAPTERS, adapter_class
from marsad.ingest.base import Span, iter_lines, line_spans
from marsad.store.duckdb import DuckDBStore
from marsad.store.schema import TABLES

LINE = st.sampled_from(
    [b"", b" ", b"\t \x0b", b"\r", b'{"a":1}', b'{"b":"x y"}', b" {}", b"xx\r", b"\x0c"]
)


def _records_before(content: bytes, offset: int) -> tuple[int, int]:
    """(lines, non-blank lines) before *offset*, the slow and obvious way."""
    lines = [line.rstrip(b"\r\n") for line in content[:offset].split(b"\n")[:-1]]
    if lines and lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    return len(lines), sum(1 for line in lines if line.strip())


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(LINE, max_size=60),
    crlf=st.booleans(),
    bom=st.booleans(),
    final_newline=st.booleans(),
    every=st.integers(1, 40),
)
def test_spans_count_lines_and_records_like_a_reader(
    tmp_path: Path, lines: list[bytes], crlf: bool, bom: bool, final_newline: bool, every: int
) -> None:
    sep = b"\r\n" if crlf else b"\n"
    content = (b"\xef\xbb\xbf" if bom else b"") + sep.join(lines)
    if final_newline and lines:
        content += sep
    path = tmp_path / "f.jsonl"
    path.write_bytes(content)

    spans = list(line_spans(path, every))
    assert spans[0] == Span(0, 0, 0)
    offsets = [s.offset for s in spans]
    assert offsets == sorted(set(offsets)) and all(o < len(content) for o in offsets[1:])
    everything = list(iter_lines(path))
    for span in spans:
        assert span.offset == 0 or content[span.offset - 1 : span.offset] == b"\n"
        assert (span.lines, span.records) == _records_before(content, span.offset)
        assert list(iter_lines(path, span=span)) == everything[span.lines :]


def test_compressed_file_has_one_span(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl.gz"
    path.write_bytes(gzip.compress(b"{}\n" * 1000))
    assert list(line_spans(path, 16)) == [Span(0, 0, 0)]
    with pytest.raises(ValueError, match="compressed"):
        list(iter_lines(path, span=Span(3, 1, 1)))


SPLITTABLE = [
    name
    for name in sorted(ADAPTERS)
    if any(
        adapter_class(name).can_split(Path(f), c[:65536]) for f, c in adapter_class(name).examples()
    )
]


def _with_blank_lines(content: bytes) -> bytes:
    """The example with blank, whitespace-only and CRLF lines between its lines."""
    out = []
    for i, line in enumerate(content.split(b"\n")):
        out.append(line + (b"\r" if i % 2 else b""))
        out.append([b"", b"  ", b"\t"][i % 3])
    return b"\n".join(out) + b"\n"


@pytest.mark.parametrize("name", SPLITTABLE)
def test_adapters_resume_from_any_span(name: str, tmp_path: Path) -> None:
    assert {"x-v1", "x-v2", "marsad-jsonl"} <= set(SPLITTABLE)
    adapter = adapter_class(name)()
    for n, (fname, content) in enumerate(adapter.examples()):
        if not adapter.can_split(Path(fname), content[:65536]):
            continue
        path = tmp_path / f"{n}-{Path(fname).name}"
        path.write_bytes(_with_blank_lines(content))
        whole = list(adapter.records(path, "src"))
        assert whole, f"{fname}: no records"
        for every in (1, 7, 50):
            for span in line_spans(path, every):
                for start in {span.records, span.records + 1}:
                    if start > len(whole):
                        continue
                    got = list(adapter.records(path, "src", start, span))
                    assert got == whole[start:], (fname, every, span, start)


def _tweet_lines(n: int) -> bytes:
    """Benign X v1.1 tweet lines with blank lines between some of them."""
    out = []
    for i in range(n):
        tweet = {
            "id_str": str(5000 + i),
            "created_at": "Mon Jan 01 10:00:00 +0000 2024",
            "full_text": f"weather report number {i} #weather",
            "user": {
                "id_str": str(100 + i % 13),
                "screen_name": f"station{i % 13}",
                "followers_count": i,
            },
            "entities": {"hashtags": [{"text": "weather"}], "user_mentions": [], "urls": []},
            "lang": "en",
            "source": '<a href="https://x.com">Example Client</a>',
        }
        out.append(orjson.dumps(tweet))
        if i % 17 == 0:
            out.append(b"   ")
    return b"\n".join(out) + b"\n"


def _dump(workspace: Path) -> dict[str, list[tuple[object, ...]]]:
    with DuckDBStore(workspace, create=False) as store:
        return {
            t: [
                tuple(v for k, v in row.items() if k not in {"started_at", "completed_at"})
                for row in store.iter_table(t)
            ]
            for t in TABLES
        }


def test_workers_on_small_chunks_equal_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "tweets.jsonl"
    data.write_bytes(_tweet_lines(600))
    monkeypatch.setattr(pipeline, "BYTES_PER_CHUNK", 9000)  # about 20 chunks
    chunks = list(pipeline._chunks(data, data.read_bytes()[:65536], start=0))
    assert len(chunks) > 10 and chunks[-1].count is None
    assert sum(c.count or 0 for c in chunks[:-1]) < 600
    assert [c.start for c in chunks] == sorted({c.start for c in chunks})

    monkeypatch.setenv("MARSAD_WORKERS", "1")
    with pipeline.open_store(tmp_path / "one") as store:
        one = pipeline.ingest_file(store, data, fmt="x-v1")
    monkeypatch.setenv("MARSAD_WORKERS", "2")
    monkeypatch.setenv("MARSAD_PARALLEL_MIN_BYTES", "0")
    with pipeline.open_store(tmp_path / "two") as store:
        two = pipeline.ingest_file(store, data, fmt="x-v1")
    assert one.records == two.records == 600
    assert one.written == two.written and one.added == two.added
    assert _dump(tmp_path / "one") == _dump(tmp_path / "two")


def test_resume_in_the_middle_of_a_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "tweets.jsonl"
    data.write_bytes(_tweet_lines(300))
    monkeypatch.setattr(pipeline, "BYTES_PER_CHUNK", 9000)
    chunks = list(pipeline._chunks(data, b"", start=123))
    assert chunks[0].start == 123
    assert chunks[0].span is not None and chunks[0].span.records <= 123
    ends = [c.start + c.count for c in chunks if c.count is not None]
    assert ends == [c.start for c in chunks[1:]]  # ranges touch, no gap, no overlap
