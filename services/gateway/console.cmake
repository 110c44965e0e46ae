# The operator console (console/): a TypeScript application bundled by
# esbuild into static files that the gateway serves from `/`.
#
# Included by the gateway's CMakeLists.txt. Defines the target
# gateway_console (part of ALL) and sets CITYOPS_CONSOLE_BUILD_DIR, the folder
# of the built files (index.html, console.js, console.css), which the gateway
# takes as its default console folder.
#
# `npm ci` runs again only when package.json or package-lock.json changed
# (a stamp in the build tree); node_modules stays in console/ (git-ignored).
# The bundle is rebuilt when any file under console/src changes; the build
# script type-checks first (tsc --noEmit), so a type error fails the build.

find_program(NPM npm REQUIRED)

set(_console_source_dir ${CMAKE_CURRENT_LIST_DIR}/console)
set(CITYOPS_CONSOLE_BUILD_DIR ${CMAKE_CURRENT_BINARY_DIR}/console)
set(_console_npm_ci_stamp ${CMAKE_CURRENT_BINARY_DIR}/console-npm-ci.stamp)

file(GLOB_RECURSE _console_sources CONFIGURE_DEPENDS ${_console_source_dir}/src/*)

add_custom_command(
  OUTPUT ${_console_npm_ci_stamp}
  COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
  COMMAND ${CMAKE_COMMAND} -E touch ${_console_npm_ci_stamp}
  WORKING_DIRECTORY ${_console_source_dir}
  DEPENDS ${_console_source_dir}/package.json ${_console_source_dir}/package-lock.json
  COMMENT "console: npm ci"
  VERBATIM)

set(_console_outputs
  ${CITYOPS_CONSOLE_BUILD_DIR}/index.html
  ${CITYOPS_CONSOLE_BUILD_DIR}/console.js
  ${CITYOPS_CONSOLE_BUILD_DIR}/console.css)

add_custom_command(
  OUTPUT ${_console_outputs}
  COMMAND ${NPM} run build --silent -- --outdir ${CITYOPS_CONSOLE_BUILD_DIR}
  WORKING_DIRECTORY ${_console_source_dir}
  DEPENDS
    ${_console_npm_ci_stamp}
    ${_console_sources}
    ${_console_source_dir}/build.mjs
    ${_console_source_dir}/tsconfig.json
  COMMENT "console: type-check and bundle into ${CITYOPS_CONSOLE_BUILD_DIR}"
  VERBATIM)

add_custom_target(gateway_console ALL DEPENDS ${_console_outputs})
