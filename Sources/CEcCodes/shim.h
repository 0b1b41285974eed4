// ecCodes (ECMWF's GRIB and BUFR library), as installed by Debian's libeccodes-dev.
#ifndef POLYTOPE_CECCODES_SHIM_H
#define POLYTOPE_CECCODES_SHIM_H

#include <eccodes.h>

#endif
