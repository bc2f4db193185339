import COutpostSystem
import OutpostCLICore

op_exit(Int32(OutpostDevCLI.run(CommandLineTool.arguments())))
