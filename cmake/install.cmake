# `make install` / `cmake --install`: libemoscope.so.MAJOR, the public
# headers, emoscope.pc, the CLI, its man page and the model files that
# models/ holds (scripts/install-models.sh). Included by the top
# CMakeLists.txt once the targets exist.
include(GNUInstallDirs)

# Where the library looks for its models (src/io/models_dir.c): the
# prefix's folder, and the way there from the libdir and the bindir, so
# that an install moved elsewhere (or made with `cmake --install --prefix`)
# still finds its own. Only that file is rebuilt when the prefix changes.
set(EMO_INSTALL_MODELS_SUBDIR "${CMAKE_INSTALL_DATADIR}/emoscope/models")
file(RELATIVE_PATH _emo_lib_to_models "/p/${CMAKE_INSTALL_LIBDIR}" "/p/${EMO_INSTALL_MODELS_SUBDIR}")
file(RELATIVE_PATH _emo_bin_to_models "/p/${CMAKE_INSTALL_BINDIR}" "/p/${EMO_INSTALL_MODELS_SUBDIR}")
set_source_files_properties("${CMAKE_SOURCE_DIR}/src/io/models_dir.c" PROPERTIES COMPILE_DEFINITIONS
  "EMO_INSTALL_MODELS_DIR=\"${CMAKE_INSTALL_FULL_DATADIR}/emoscope/models\";EMO_LIBDIR_TO_MODELS=\"${_emo_lib_to_models}\";EMO_BINDIR_TO_MODELS=\"${_emo_bin_to_models}\"")
# dladdr() (glibc >= 2.34 has it in libc; older ones in libdl).
target_link_libraries(emoscope PRIVATE ${CMAKE_DL_LIBS})

if(NOT TARGET emoscope_shared)
  return()
endif()
target_link_libraries(emoscope_shared PRIVATE ${CMAKE_DL_LIBS})
# libemoscope.so -> .so.MAJOR (the soname) -> .so.MAJOR.MINOR.PATCH, the
# numbers of include/emoscope/version.h (project()).
set_target_properties(emoscope_shared PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})

install(TARGETS emoscope_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# Every public header, so that headers added later install without an edit.
install(DIRECTORY "${CMAKE_SOURCE_DIR}/include/emoscope" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
# The CLI links the static library (it uses private headers): no runtime
# path to set, and it finds the models beside its bindir.
install(TARGETS emoscope_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES "${CMAKE_SOURCE_DIR}/docs/emoscope.1" DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# What `make models` put in models/ when install runs (not when CMake
# configures): files only, no half-copied *.part.
install(DIRECTORY "${CMAKE_SOURCE_DIR}/models/" DESTINATION ${EMO_INSTALL_MODELS_SUBDIR} OPTIONAL
  FILES_MATCHING PATTERN "*" PATTERN "*.part" EXCLUDE)

# pkg-config. The prefix is written at install time, so that the file
# says where it was really installed (`cmake --install --prefix P`, which
# the install test uses, overrides the configured prefix). Configure time
# fills in everything else and leaves @EMO_PC_PREFIX@ for then. No public
# header includes an outside one and only the shared library is installed,
# so the dependencies stay the library's own business: no Requires.
# Spaces in the prefix are escaped, as pkg-config's values want them.
set(EMO_PC_PREFIX "@EMO_PC_PREFIX@")
configure_file("${CMAKE_SOURCE_DIR}/cmake/emoscope.pc.in" "${CMAKE_BINARY_DIR}/emoscope.pc.in" @ONLY)
install(CODE "
  string(REPLACE \" \" \"\\\\ \" EMO_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_BINARY_DIR}/emoscope.pc.in\" \"${CMAKE_BINARY_DIR}/emoscope.pc\" @ONLY)
  file(INSTALL \"${CMAKE_BINARY_DIR}/emoscope.pc\" DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\")
")
