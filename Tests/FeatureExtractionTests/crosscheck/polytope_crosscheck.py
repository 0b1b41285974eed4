"""Cross-check of the Swift engine against polytope-python 2.1.20's slicer.

Runs polytope's real slicer (HullSlicer over an xarray datacube, longitude cyclic as in
polytope-mars) for a box across 0°, a concave polygon and nearest-point requests on a global
regular 1° grid, and asks polytope's octahedral mapper where the points of O32 lie. Writes what
polytope returns to Tests/FeatureExtractionTests/Resources/crosscheck/polytope.json, where the
Swift test `PolytopeCrossCheckTests` compares it with the engine. Run with the pinned stack:

  .venv/bin/python Tests/FeatureExtractionTests/crosscheck/polytope_crosscheck.py
"""

import json
import os

import numpy as np
import xarray as xr
from polytope_feature.datacube.transformations.datacube_mappers.mapper_types.octahedral import OctahedralGridMapper
from polytope_feature.polytope import Polytope, Request
from polytope_feature.shapes import Box, Point, Polygon, Select

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "Tests", "FeatureExtractionTests", "Resources", "crosscheck", "polytope.json")


def points_of(tree):
    """The (latitude, longitude) of every leaf of a result tree."""
    found = []

    def walk(node, latitude):
        for child in node.children:
            if child.axis.name == "latitude":
                for value in child.values:
                    walk(child, float(value))
            elif child.axis.name == "longitude":
                found.extend([latitude, float(lon)] for lon in child.values)
            else:
                walk(child, latitude)

    walk(tree, None)
    return found


def regular_grid_cases():
    # Latitudes ascending: polytope's xarray backend mishandles nearest on descending axes.
    lats = np.arange(-90, 90.5, 1.0)
    lons = np.arange(0, 360, 1.0)
    cube = xr.DataArray(np.zeros((1, lats.size, lons.size)), dims=["step", "latitude", "longitude"],
                        coords={"step": [0], "latitude": lats, "longitude": lons})
    options = {"axis_config": [{"axis_name": "longitude", "transformations": [{"name": "cyclic", "range": [0, 360]}]}],
               "compressed_axes_config": ["step"]}
    api = Polytope(datacube=cube, options=options)
    concave = [[0, 0], [10, 0], [10, 10], [7, 10], [7, 3], [3, 3], [3, 10], [0, 10]]
    triangle = [[-1.5, -2.5], [4.2, 1.3], [0.7, 6.6]]
    cases = [
        ("box across 0", {"type": "boxes", "boxes": [[-1, -3, 1, 4]]}, Box(["latitude", "longitude"], [-1, -3], [1, 4])),
        ("box", {"type": "boxes", "boxes": [[40.3, 350.6, 45.5, 372.2]]}, Box(["latitude", "longitude"], [40.3, 350.6], [45.5, 372.2])),
        ("concave polygon", {"type": "polygon", "ring": concave}, Polygon(["latitude", "longitude"], concave)),
        ("triangle across 0", {"type": "polygon", "ring": triangle}, Polygon(["latitude", "longitude"], triangle)),
        ("nearest 359.7", {"type": "nearest", "points": [[0.2, 359.7]]},
         Point(["latitude", "longitude"], [[0.2, 359.7]], method="nearest")),
        ("nearest nearby points", {"type": "nearest", "points": [[50.7, 7.0], [50.725, 7.108]]},
         Point(["latitude", "longitude"], [[50.7, 7.0], [50.725, 7.108]], method="nearest")),
    ]
    results = []
    for name, shape, polytope_shape in cases:
        try:
            found = points_of(api.retrieve(Request(polytope_shape, Select("step", [0]))))
            error = None
        except Exception as exception:  # polytope's own failures are part of the record
            found, error = [], f"{type(exception).__name__}: {exception}"
        results.append({"name": name, "shape": shape, "polytope": found, "error": error})
    return results


def octahedral_points(n):
    mapper = OctahedralGridMapper("values", ["latitude", "longitude"], n)
    points = []
    for latitude in sorted(mapper.first_axis_vals(), reverse=True):
        for longitude in mapper.second_axis_vals((latitude,)):
            index = mapper.unmap((latitude,), (longitude,))
            points.append([float(latitude), float(longitude), int(np.asarray(index).ravel()[0])])
    return points


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    record = {"regular_1_degree": regular_grid_cases(), "octahedral_32": octahedral_points(32)}
    with open(OUT, "w") as f:
        json.dump(record, f)
    for case in record["regular_1_degree"]:
        print(f"{case['name']}: {len(case['polytope'])} points {case['error'] or ''}")
    print(f"O32: {len(record['octahedral_32'])} points")


if __name__ == "__main__":
    main()
