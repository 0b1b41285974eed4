"""Writes golden CoverageJSON answers made by the real covjsonkit, for the Swift encoder tests.

For each case it builds the result tree polytope-python hands covjsonkit when polytope-mars
reads from FDB/gribjump (axes in FDB's alphabetical order, date and time merged into one
`date` axis, levelist/number/param/step compressed into one node each, one latitude ->
longitude leaf per grid point whose result lists levels x numbers x params x steps), runs
covjsonkit's encoder for the feature type, and writes:

  Tests/FeatureExtractionTests/Resources/covjson/<case>.input.json   the fields, as the Swift
                                                                        encoder receives them
  Tests/FeatureExtractionTests/Resources/covjson/<case>.golden.json  covjsonkit's answer

Run with the pinned stack (see README.md beside this script): .venv/bin/python Tests/FeatureExtractionTests/crosscheck/make_covjson_goldens.py
"""

import json
import os
import sys

import numpy as np
from covjsonkit.api import Covjsonkit
from polytope_feature.datacube.datacube_axis import IntDatacubeAxis
from polytope_feature.datacube.tensor_index_tree import TensorIndexTree

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "Tests", "FeatureExtractionTests", "Resources", "covjson")


def axis_node(name, values):
    axis = IntDatacubeAxis()
    axis.name = name
    return TensorIndexTree(axis=axis, values=tuple(values))


def value_of(lat, lon, level, number, param, step, date_index):
    # Any deterministic function of the coordinates: values differ per point and per field.
    return round(200.0 + lat * 0.5 + lon * 0.25 + level * 0.01 + number * 0.125 + (int(param) % 7) + step * 0.0625 + date_index, 6)


def build(case):
    base = case["base"]  # MARS keys with one value (class, domain, expver, levtype, stream, type)
    levels = case.get("levels")
    numbers = case.get("numbers")
    params = case["params"]
    steps = case["steps"]
    points = case["points"]
    root = TensorIndexTree()
    fields = []
    for date_index, (date, time) in enumerate(case["datetimes"]):
        stamp = np.datetime64(f"{date[:4]}-{date[4:6]}-{date[6:]}T{time[:2]}:{time[2:]}:00")
        chain = [axis_node("class", (base["class"],)), axis_node("date", (stamp,))]
        for key in ("domain", "expver"):
            chain.append(axis_node(key, (base[key],)))
        if levels:
            chain.append(axis_node("levelist", tuple(levels)))
        chain.append(axis_node("levtype", (base["levtype"],)))
        if numbers:
            chain.append(axis_node("number", tuple(numbers)))
        chain.append(axis_node("param", tuple(params)))
        chain.append(axis_node("step", tuple(steps)))
        chain.append(axis_node("stream", (base["stream"],)))
        chain.append(axis_node("type", (base["type"],)))
        for parent, child in zip(chain, chain[1:]):
            parent.add_child(child)
        root.add_child(chain[0])
        tip = chain[-1]
        for lat, lon in points:
            lat_node = axis_node("latitude", (lat,))
            leaf = axis_node("longitude", (lon,))
            result = []
            for level in levels or [0]:
                for number in numbers or [0]:
                    for param in params:
                        for step in steps:
                            result.append(value_of(lat, lon, level, number, param, step, date_index))
            leaf.result = [np.float64(r) for r in result]
            lat_node.add_child(leaf)
            tip.add_child(lat_node)
        # The same data as fields, in MARS request order (date, time, levelist, number, param, step).
        for level in levels or [None]:
            for number in numbers or [None]:
                for param in params:
                    for step in steps:
                        keys = dict(base)
                        keys.update({"date": date, "time": time, "param": param, "step": str(step)})
                        if level is not None:
                            keys["levelist"] = str(level)
                        if number is not None:
                            keys["number"] = str(number)
                        values = [value_of(lat, lon, level or 0, number or 0, param, step, date_index) for lat, lon in points]
                        fields.append({"keys": keys, "values": values})
    return root, fields


CASES = [
    {
        "name": "timeseries",
        "feature": "timeseries",
        "base": {"class": "od", "domain": "g", "expver": "0001", "levtype": "sfc", "stream": "enfo", "type": "pf"},
        "datetimes": [["20250623", "0000"]],
        "numbers": [1, 2],
        "params": ["164", "167"],
        "steps": [0, 1, 2, 3],
        "points": [[-0.035149384216, 0.981308411215], [38.769770651632, 350.914051841746]],
    },
    {
        "name": "timeseries_levels",
        "feature": "timeseries",
        "base": {"class": "od", "domain": "g", "expver": "0001", "levtype": "pl", "stream": "oper", "type": "fc"},
        "datetimes": [["20250101", "1200"], ["20250102", "0000"]],
        "levels": [500, 850],
        "params": ["130", "133"],
        "steps": [0, 6, 12],
        "points": [[51.5, 359.5]],
    },
    {
        "name": "position",
        "feature": "position",
        "base": {"class": "od", "domain": "g", "expver": "0001", "levtype": "sfc", "stream": "oper", "type": "fc"},
        "datetimes": [["20250101", "0000"]],
        "params": ["167", "165", "166"],
        "steps": [0, 6],
        "points": [[10.0, 20.0], [11.0, 21.0]],
    },
    {
        "name": "verticalprofile",
        "feature": "verticalprofile",
        "base": {"class": "od", "domain": "g", "expver": "0001", "levtype": "pl", "stream": "enfo", "type": "pf"},
        "datetimes": [["20250101", "0000"]],
        "levels": [300, 500, 850, 1000],
        "numbers": [1],
        "params": ["130", "157"],
        "steps": [0, 6],
        "points": [[45.0, 7.5]],
    },
    {
        "name": "boundingbox",
        "feature": "boundingbox",
        "base": {"class": "od", "domain": "g", "expver": "0001", "levtype": "sfc", "stream": "enfo", "type": "pf"},
        "datetimes": [["20250623", "0000"]],
        "numbers": [1, 2],
        "params": ["166", "167"],
        "steps": [0, 1],
        "points": [[0.035149384216, 0.0], [0.035149384216, 0.070093457944], [0.105448152647, 0.0], [0.105448152647, 0.070148090413]],
    },
    {
        "name": "boundingbox_levels",
        "feature": "boundingbox",
        "base": {"class": "od", "domain": "g", "expver": "0001", "levtype": "pl", "stream": "oper", "type": "fc"},
        "datetimes": [["20250101", "0000"]],
        "levels": [500, 850],
        "params": ["131", "132"],
        "steps": [6],
        "points": [[1.0, 2.0], [1.0, 3.0], [2.0, 2.0]],
    },
    {
        "name": "polygon",
        "feature": "polygon",
        "base": {"class": "od", "domain": "g", "expver": "0001", "levtype": "sfc", "stream": "oper", "type": "fc"},
        "datetimes": [["20250101", "0000"], ["20250101", "1200"]],
        "params": ["151", "228"],
        "steps": [0, 24],
        "points": [[-1.0, 0.0], [-1.0, 1.0], [0.0, 0.0]],
    },
    {
        "name": "circle",
        "feature": "circle",
        "base": {"class": "od", "domain": "g", "expver": "0001", "levtype": "sfc", "stream": "enfo", "type": "pf"},
        "datetimes": [["20250101", "0000"]],
        "numbers": [1, 2, 3],
        "params": ["167"],
        "steps": [0],
        "points": [[38.7, 350.9], [38.8, 350.9]],
    },
    {
        "name": "trajectory",
        "feature": "trajectory",
        "base": {"class": "od", "domain": "g", "expver": "0001", "levtype": "sfc", "stream": "enfo", "type": "pf"},
        "datetimes": [["20250101", "0000"]],
        "numbers": [1],
        "params": ["164", "166", "167"],
        "steps": [0],
        "points": [[-0.1, 359.9], [0.0, 0.0], [0.1, 0.1]],
    },
]

ENCODER_NAME = {
    "timeseries": "PointSeries",
    "position": "position",
    "verticalprofile": "VerticalProfile",
    "boundingbox": "BoundingBox",
    "polygon": "polygon",
    "circle": "circle",
    "trajectory": "trajectory",
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for case in CASES:
        tree, fields = build(case)
        encoder = Covjsonkit({"param_db": "ecmwf"}).encode("CoverageCollection", ENCODER_NAME[case["feature"]])
        answer = encoder.from_polytope(tree)
        with open(os.path.join(OUT, f"{case['name']}.golden.json"), "w") as f:
            json.dump(answer, f, indent=1)
        inputs = {"feature": case["feature"], "points": case["points"], "fields": fields}
        with open(os.path.join(OUT, f"{case['name']}.input.json"), "w") as f:
            json.dump(inputs, f, indent=1)
        print(f"{case['name']}: {len(answer['coverages'])} coverages", file=sys.stderr)


if __name__ == "__main__":
    main()
