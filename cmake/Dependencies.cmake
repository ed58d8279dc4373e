# Every dependency comes from a Debian package; a missing one stops here with
# the package to install (scripts/setup installs them all).

find_package(OpenMP)
if(NOT OpenMP_CXX_FOUND)
  message(FATAL_ERROR "OpenMP not found: it ships with g++ (Debian package: g++, libgomp1). Run scripts/setup.")
endif()

# Prefer Debian's OpenMP build of OpenBLAS: BLAS and our OpenMP loops then share
# one libgomp thread pool instead of oversubscribing the cores.
set(_ob_dirs /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/aarch64-linux-gnu/openblas-openmp)
find_library(OPENBLAS_LIB NAMES openblas PATHS ${_ob_dirs} NO_DEFAULT_PATH)
find_path(OPENBLAS_INCLUDE NAMES cblas.h PATHS /usr/include/x86_64-linux-gnu/openblas-openmp
          /usr/include/aarch64-linux-gnu/openblas-openmp NO_DEFAULT_PATH)
if(NOT OPENBLAS_LIB OR NOT OPENBLAS_INCLUDE)
  message(FATAL_ERROR "OpenBLAS (OpenMP build) not found. Install the Debian package "
                      "libopenblas-openmp-dev (or run scripts/setup).")
endif()
message(STATUS "OpenBLAS: ${OPENBLAS_LIB}")
add_library(latent_blas INTERFACE)
target_link_libraries(latent_blas INTERFACE ${OPENBLAS_LIB})  # LAPACK is inside OpenBLAS
target_include_directories(latent_blas INTERFACE ${OPENBLAS_INCLUDE})

if(LATENT_BUILD_TESTS)
  find_path(DOCTEST_INCLUDE NAMES doctest/doctest.h)
  if(NOT DOCTEST_INCLUDE)
    message(FATAL_ERROR "doctest not found. Install the Debian package doctest-dev (or run scripts/setup).")
  endif()
endif()

find_path(STB_INCLUDE NAMES stb/stb_image_write.h stb_image_write.h PATHS /usr/include)
find_package(ZLIB)
