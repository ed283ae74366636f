# The Debian package. deploy/build-package.sh configures a build with
# CMAKE_INSTALL_PREFIX=/usr (the paths compiled into egresswatchd must be
# the installed ones) and runs cpack -G DEB: egresswatch_<version>_<arch>.deb
# with the binaries, the rules, the systemd unit, a default configuration and
# the geolocation build scripts. Its postinst creates the egresswatch system
# user and /var/lib/egresswatch (0750).
install(FILES ${CMAKE_CURRENT_LIST_DIR}/egresswatch.service DESTINATION lib/systemd/system)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/egresswatch.conf DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/egresswatch)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(PROGRAMS ${CMAKE_SOURCE_DIR}/geoip/build-databases.sh ${CMAKE_SOURCE_DIR}/geoip/asn-csv-to-mmdb.pl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/egresswatch/geoip-tools)
install(FILES ${CMAKE_SOURCE_DIR}/geoip/README.md DESTINATION ${CMAKE_INSTALL_DATADIR}/egresswatch/geoip-tools)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME egresswatch)
set(CPACK_PACKAGE_CONTACT "egresswatch maintainers <egresswatch@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "passive monitor of camera and IoT egress, with an evidence store")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# openssl: postinst makes the key that signs the evidence chain.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, ieee-data, openssl")
# For geoip-tools/build-databases.sh, or MaxMind's databases instead.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "npm, libmaxmind-db-writer-perl, geoipupdate")
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/postinst ${CMAKE_CURRENT_LIST_DIR}/debian/prerm
    ${CMAKE_CURRENT_LIST_DIR}/debian/postrm ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
