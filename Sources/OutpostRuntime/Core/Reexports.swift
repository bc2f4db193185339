// OutlinedString (error messages and other interpolated text built out of line)
// lives in OutpostText, below every device module; modules that import the
// runtime get it with the runtime.
@_exported import OutpostText
