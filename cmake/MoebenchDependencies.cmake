# Host dependencies, all from Debian packages (scripts/install_deps.sh installs them).
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json 3.10 CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(ZLIB REQUIRED)  # gzip of --profile traces
find_package(PkgConfig REQUIRED)
# OpenBLAS serves the CPU backend's GEMMs. Off only for GPU-only bundles (bench/device_build.sh),
# which fall back to a plain loop nest.
option(MOEBENCH_WITH_OPENBLAS "CPU GEMMs through OpenBLAS" ON)
if(MOEBENCH_WITH_OPENBLAS)
  pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
endif()
# libcurl serves --model-path downloads from the Hub. Off only for GPU-only bundles.
option(MOEBENCH_WITH_CURL "Hub downloads through libcurl" ON)
if(MOEBENCH_WITH_CURL)
  find_package(CURL REQUIRED)
endif()
