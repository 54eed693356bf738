"""The top package re-exports the API's one list of names, loading it only when asked."""

import subprocess
import sys

import fcn_studio
import fcn_studio.api as api


def test_top_package_all_is_the_api_list():
    assert fcn_studio.__all__ == api.__all__
    assert all(getattr(fcn_studio, name) is getattr(api, name) for name in api.__all__)
    assert set(api.__all__) <= set(dir(fcn_studio))


def test_importing_a_submodule_by_name_does_not_load_the_api():
    code = (
        "import sys, fcn_studio\n"
        "from fcn_studio import environment, logs\n"
        "print(any(m.startswith('fcn_studio.api') for m in sys.modules), 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
