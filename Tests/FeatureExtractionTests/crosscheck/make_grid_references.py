"""Writes what ecCodes says about the grids the Swift tests check GridGeometry against.

For ecCodes samples (and variants with other scanning modes made with grib_set), it records the
grid keys ecCodes reports and the latitude/longitude of every point in storage order, as
grib_get_data prints them, into Tests/FeatureExtractionTests/Resources/grids.json. Needs the
ecCodes command-line tools (Debian: libeccodes-tools):

  python3 Tests/FeatureExtractionTests/crosscheck/make_grid_references.py
"""

import json
import os
import subprocess
import tempfile

SAMPLES = "/usr/share/eccodes/samples"
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "Tests", "FeatureExtractionTests", "Resources", "grids.json")
KEYS = [
    "gridType", "numberOfDataPoints", "Ni", "Nj", "N", "latitudeOfFirstGridPointInDegrees", "longitudeOfFirstGridPointInDegrees",
    "latitudeOfLastGridPointInDegrees", "longitudeOfLastGridPointInDegrees", "iDirectionIncrementInDegrees",
    "jDirectionIncrementInDegrees", "iScansNegatively", "jScansPositively", "jPointsAreConsecutive", "alternativeRowScanning",
]


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def describe(path, every=1):
    keys = {}
    for key in KEYS:
        text = run("grib_get", "-f", "-p", key, path).strip()
        if text in ("not_found", "MISSING", ""):
            keys[key] = None
        else:
            try:
                keys[key] = int(text)
            except ValueError:
                try:
                    keys[key] = float(text)
                except ValueError:
                    keys[key] = text
    rules = tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False)
    rules.write('print "[pl!1000000]";\n')
    rules.close()
    pl = run("grib_filter", rules.name, path).split() if keys["gridType"] == "reduced_gg" else []
    os.unlink(rules.name)
    keys["pl"] = [int(x) for x in pl] if pl else None
    lines = run("grib_get_data", "-L", "%.12f %.12f", path).splitlines()[1:]
    points = [[float(v) for v in line.split()[:2]] for line in lines]
    return {"keys": keys, "every": every, "points": points[::every]}


def variant(name, settings):
    out = tempfile.NamedTemporaryFile(suffix=".grib2", delete=False).name
    run("grib_set", "-s", settings, os.path.join(SAMPLES, name), out)
    return out


def main():
    cases = {
        "reduced_gg_n32": describe(os.path.join(SAMPLES, "reduced_gg_pl_32_grib2.tmpl")),
        "regular_gg_n32": describe(os.path.join(SAMPLES, "regular_gg_sfc_grib2.tmpl")),
        "regular_ll_area": describe(os.path.join(SAMPLES, "regular_ll_sfc_grib2.tmpl")),
        "regular_ll_i_negative": describe(variant(
            "regular_ll_sfc_grib2.tmpl", "iScansNegatively=1,longitudeOfFirstGridPointInDegrees=30,longitudeOfLastGridPointInDegrees=0")),
        "regular_ll_j_positive": describe(variant(
            "regular_ll_sfc_grib2.tmpl", "jScansPositively=1,latitudeOfFirstGridPointInDegrees=0,latitudeOfLastGridPointInDegrees=60")),
        "regular_ll_j_consecutive": describe(variant("regular_ll_sfc_grib2.tmpl", "jPointsAreConsecutive=1")),
        "reduced_gg_n320": describe(os.path.join(SAMPLES, "reduced_gg_pl_320_grib2.tmpl"), every=97),
    }
    with open(OUT, "w") as f:
        json.dump(cases, f)


if __name__ == "__main__":
    main()
