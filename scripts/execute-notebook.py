"""Executes a notebook with nbclient, cell by cell, and stops at the first failing cell.

usage: python3 execute-notebook.py INPUT OUTPUT KERNEL_NAME WORKING_DIR [TIMEOUT_S]
Writes the executed (or partly executed) notebook to OUTPUT. Exit 0 on success; exit 3 on a cell error, printing
{"cell": index} as JSON on stdout (the message is read from the cell's outputs: tslab writes it to stderr, and the
error reply it sends carries no text, which is why nbconvert's own message is empty).
"""
import json
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main():
    src, dst, kernel, cwd = sys.argv[1:5]
    timeout = int(sys.argv[5]) if len(sys.argv) > 5 else None
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=timeout if timeout and timeout > 0 else None,
                            allow_errors=False, resources={"metadata": {"path": cwd}})
    failed = None
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError:
                    failed = index
                    break
    finally:
        nbformat.write(nb, dst)
    if failed is not None:
        print(json.dumps({"cell": failed}))
        sys.exit(3)


if __name__ == "__main__":
    main()
