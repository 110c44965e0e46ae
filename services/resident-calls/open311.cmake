# The Open311 GeoReport v2 adapter: HTTP requests in, RequestsBackend calls out
# (resident calls serves it today; the gateway can take it over with the gRPC
# backend). Included by the service's CMakeLists.txt.
add_library(resident_calls_open311 STATIC
  ${CMAKE_CURRENT_LIST_DIR}/src/open311/backend.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/open311/open311_api.cc
)
target_include_directories(resident_calls_open311 PUBLIC ${CMAKE_CURRENT_LIST_DIR}/src)
target_link_libraries(resident_calls_open311 PUBLIC cityops_common cityops_proto_calls_v1)
cityops_target(resident_calls_open311)
