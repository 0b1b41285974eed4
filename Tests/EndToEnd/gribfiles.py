"""Real GRIB fields for the end-to-end tests, made with ecCodes' grib_set from the sample
that Debian's libeccodes-data ships."""

import subprocess

SAMPLE = "/usr/share/eccodes/samples/regular_ll_sfc_grib2.tmpl"
PARAMS = {"2t": 167, "msl": 151}
STEPS = (0, 6)


def make_fields(directory, date=20250101, time=1200):
    """{(short name, step): message bytes} for 2t and msl at steps 0 and 6."""
    fields = {}
    for name in PARAMS:
        for step in STEPS:
            path = directory / f"{name}-{step}.grib"
            settings = f"date={date},time={time},step={step},shortName={name}"
            subprocess.run(["grib_set", "-s", settings, SAMPLE, str(path)], check=True, capture_output=True)
            fields[(name, step)] = path.read_bytes()
    return fields


def short_names_and_steps(path):
    """[[short name, step], ...] of the messages in the file, in order (grib_get)."""
    listing = subprocess.run(["grib_get", "-p", "shortName,step", str(path)], capture_output=True, text=True, check=True)
    return [line.split() for line in listing.stdout.splitlines()]
