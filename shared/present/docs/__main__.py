import sys

from shared.present.docs.generate import main

sys.exit(main())
