"""The CLI's subcommands, one module each: NAME (optional), add_arguments(parser), run(args)."""
