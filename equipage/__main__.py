from equipage.cli import main

raise SystemExit(main())
