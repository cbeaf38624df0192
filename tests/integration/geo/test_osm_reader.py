"""Reading highways from an OSM XML file, including ways cut off by the extract border."""

from __future__ import annotations

from pathlib import Path

import pytest

from lastmile.domain import InvalidInput
from lastmile.geo.osm.reader import read_highways

NODES = "\n".join(
    f'<node id="{i}" version="1" lat="60.{i:04d}" lon="24.{i:04d}"/>' for i in (1, 2, 3, 5, 6, 7)
)
XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
{NODES}
<way id="10" version="1">
  <nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="5"/><nd ref="6"/>
  <tag k="highway" v="residential"/><tag k="oneway" v="yes"/>
</way>
<way id="11" version="1"><nd ref="6"/><nd ref="7"/><tag k="building" v="yes"/></way>
</osm>
"""


def test_a_way_crossing_the_extract_border_is_cut_at_the_missing_node(tmp_path: Path) -> None:
    path = tmp_path / "tiny.osm"
    path.write_text(XML)
    raw = read_highways(path)
    runs = [(way_id, raw.node_ids[nodes].tolist(), tags) for way_id, nodes, tags in raw.ways]
    assert runs == [
        (10, [1, 2, 3], {"highway": "residential", "oneway": "yes"}),
        (10, [5, 6], {"highway": "residential", "oneway": "yes"}),
    ]
    assert raw.lat[0] == pytest.approx(60.0001)


def test_an_extract_without_highways_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "buildings.osm"
    path.write_text(XML.replace('k="highway" v="residential"', 'k="landuse" v="grass"'))
    with pytest.raises(InvalidInput, match="contains no highways"):
        read_highways(path)
