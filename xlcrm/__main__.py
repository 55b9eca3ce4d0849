from xlcrm.cli import main

main()
