# The gateway's security library: roles, Argon2id password hashes, HS256 JWTs,
# API keys and the per-user rate limiter. Pure (no database, no network), so
# unit tests link it alone. Included by the gateway's CMakeLists.txt.
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)

add_library(gateway_security STATIC
  ${CMAKE_CURRENT_LIST_DIR}/src/security/encoding.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/security/roles.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/security/password.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/security/jwt.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/security/api_keys.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/security/rate_limiter.cc
)
target_include_directories(gateway_security PUBLIC ${CMAKE_CURRENT_LIST_DIR}/src)
target_link_libraries(gateway_security PUBLIC cityops_common)
target_link_libraries(gateway_security PRIVATE OpenSSL::Crypto PkgConfig::ARGON2)
cityops_target(gateway_security)
