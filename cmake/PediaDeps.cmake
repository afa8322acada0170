# Third-party dependencies, all Debian packages (see scripts/deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(CURL REQUIRED)
find_package(ZLIB REQUIRED)
pkg_check_modules(JSONC REQUIRED IMPORTED_TARGET json-c)
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
pkg_check_modules(MHD IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(GNUTLS IMPORTED_TARGET gnutls)
if(PEDIA_WITH_POSTGRES)
  find_package(PostgreSQL REQUIRED)
endif()
if(PEDIA_BUILD_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
  # libpedia does not use OpenSSL (TLS is libcurl's); kubesim makes its
  # test certificates with it.
  find_package(OpenSSL REQUIRED)
endif()
