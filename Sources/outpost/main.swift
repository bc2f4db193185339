import COutpostSystem
import OutpostRuntime

var arguments = [String]()
var i: Int32 = 1
while i < op_argc() {
    arguments.append(String(cString: op_argv(i)))
    i += 1
}
let code = OutpostCLI.run(arguments)
op_exit(Int32(code))
