# Warning and sanitizer flags, applied per target (never via CMAKE_C_FLAGS).
set(PEDIA_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wold-style-definition -Wformat=2 -Wvla -Wimplicit-fallthrough
  -Wno-format-nonliteral)
if(PEDIA_WERROR)
  list(APPEND PEDIA_WARNINGS -Werror)
endif()
set(PEDIA_SANITIZE_FLAGS)
if(PEDIA_SANITIZE)
  set(PEDIA_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
      -fno-omit-frame-pointer)
endif()

# pedia_target_flags(target): warnings, -fno-common, sanitizers.
function(pedia_target_flags tgt)
  target_compile_options(${tgt} PRIVATE ${PEDIA_WARNINGS} -fno-common ${PEDIA_SANITIZE_FLAGS})
  if(PEDIA_SANITIZE)
    target_link_options(${tgt} PRIVATE ${PEDIA_SANITIZE_FLAGS})
  endif()
endfunction()
