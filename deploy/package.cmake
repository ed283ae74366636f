# The Debian package. deploy/build-package.sh configures a build with
# CMAKE_INSTALL_PREFIX=/usr (the paths compiled into egresswatchd must be
# the installed ones) and runs cpack -G DEB: egresswatch_<version>_<arch>.deb
# with the binaries, the rules, the systemd unit, a default configuration and
# the geolocation build scripts. Its postinst creates the egresswatch system
# user and /var/lib/egresswatch (0750).
install(FILES ${CMAKE_CURRENT_LIST_DIR}/egresswatch.service DESTINATION lib/systemd/system)
# The periodic reports: a service template and two timers, none enabled.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/egresswatch-report@.service ${CMAKE_CURRENT_LIST_DIR}/egresswatch-report-monthly.timer
              ${CMAKE_CURRENT_LIST_DIR}/egresswatch-report-weekly.timer DESTINATION lib/systemd/system)
install(PROGRAMS ${CMAKE_CURRENT_LIST_DIR}/egresswatch-periodic-report DESTINATION ${CMAKE_INSTALL_DATADIR}/egresswatch)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/egresswatch.conf DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/egresswatch)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(PROGRAMS ${CMAKE_SOURCE_DIR}/geoip/build-databases.sh ${CMAKE_SOURCE_DIR}/geoip/asn-csv-to-mmdb.pl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/egresswatch/geoip-tools)
install(FILES ${CMAKE_SOURCE_DIR}/geoip/README.md DESTINATION ${CMAKE_INSTALL_DATADIR}/egresswatch/geoip-tools)

# Man pages egresswatchd(8) and egresswatch(1), and bash completion for both,
# written at build time by the binaries from their option tables.
set(EGRESSWATCH_DOC_DIR ${CMAKE_BINARY_DIR}/doc)
set(EGRESSWATCH_DOCS)
foreach(doc "egresswatchd;man;man8/egresswatchd.8;ON" "egresswatch;man;man1/egresswatch.1;ON"
            "egresswatchd;bash-completion;completions/egresswatchd;OFF"
            "egresswatch;bash-completion;completions/egresswatch;OFF")
  list(GET doc 0 program)
  list(GET doc 1 what)
  list(GET doc 2 file)
  list(GET doc 3 gzip)
  set(out ${EGRESSWATCH_DOC_DIR}/${file})
  set(built ${out})
  if(gzip)
    set(built ${out}.gz)
  endif()
  get_filename_component(dir ${out} DIRECTORY)
  add_custom_command(OUTPUT ${built}
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
                     COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:${program}> -DWHAT=${what} -DOUT=${out} -DGZIP=${gzip}
                             -P ${CMAKE_CURRENT_LIST_DIR}/generate-doc.cmake
                     DEPENDS ${program} ${CMAKE_CURRENT_LIST_DIR}/generate-doc.cmake
                     COMMENT "Writing ${file} from ${program}'s options")
  list(APPEND EGRESSWATCH_DOCS ${built})
endforeach()
add_custom_target(egresswatch-docs ALL DEPENDS ${EGRESSWATCH_DOCS})
install(FILES ${EGRESSWATCH_DOC_DIR}/man8/egresswatchd.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${EGRESSWATCH_DOC_DIR}/man1/egresswatch.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${EGRESSWATCH_DOC_DIR}/completions/egresswatchd ${EGRESSWATCH_DOC_DIR}/completions/egresswatch
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME egresswatch)
set(CPACK_PACKAGE_CONTACT "egresswatch maintainers <egresswatch@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "passive monitor of camera and IoT egress, with an evidence store")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# openssl: postinst makes the key that signs the evidence chain.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, ieee-data, libcurl4, openssl")
# For geoip-tools/build-databases.sh, or MaxMind's databases instead.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "npm, libmaxmind-db-writer-perl, geoipupdate")
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/postinst ${CMAKE_CURRENT_LIST_DIR}/debian/prerm
    ${CMAKE_CURRENT_LIST_DIR}/debian/postrm ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
