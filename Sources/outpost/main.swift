import COutpostSystem
import OutpostCLICore

op_exit(Int32(OutpostCLI.run(CommandLineTool.arguments())))
