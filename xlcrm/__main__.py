from xlcrm.cli.main import main

main()
