# CPack pre-build script: after CPack's plain strip, remove the .comment and
# .note sections from the installed executables, as dh_strip does (lintian:
# binary-has-unneeded-section). CPACK_GS_STRIP is the target's strip.
file(GLOB gs_bins "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/usr/bin/*")
if(NOT gs_bins)
	message(FATAL_ERROR "cpack-strip: no executables in "
		"${CPACK_TEMPORARY_INSTALL_DIRECTORY}/usr/bin")
endif()
foreach(bin IN LISTS gs_bins)
	execute_process(COMMAND ${CPACK_GS_STRIP} --remove-section=.comment
			--remove-section=.note ${bin}
		RESULT_VARIABLE rc)
	if(NOT rc EQUAL 0)
		message(FATAL_ERROR "cpack-strip: ${CPACK_GS_STRIP} ${bin}: ${rc}")
	endif()
endforeach()
