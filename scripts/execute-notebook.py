"""Executes a notebook with nbclient, cell by cell, and stops at the first failing cell.

usage: python3 execute-notebook.py INPUT OUTPUT KERNEL_NAME WORKING_DIR [TIMEOUT_S]
Writes the executed (or partly executed) notebook to OUTPUT. Exit 0 on success; exit 3 on a cell error, printing
{"cell": index} as JSON on stdout (the message is read from the cell's outputs: tslab writes it to stderr, and the
error reply it sends carries no text, which is why nbconvert's own message is empty); exit 4 when the kernel died
while a cell ran, printing {"cell": index, "died": message} (the kernel's own last words are on stderr).
"""
import json
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError


def main():
    src, dst, kernel, cwd = sys.argv[1:5]
    timeout = int(sys.argv[5]) if len(sys.argv) > 5 else None
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=timeout if timeout and timeout > 0 else None,
                            allow_errors=False, resources={"metadata": {"path": cwd}})
    failed = None
    died = None
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError:
                    failed = index
                    break
                except DeadKernelError as e:
                    failed, died = index, str(e) or "the kernel died"
                    break
    except DeadKernelError as e:
        # Raised again while the client shuts the dead kernel down: the cell is already known.
        died = died or str(e) or "the kernel died"
    finally:
        nbformat.write(nb, dst)
    if died is not None:
        print(json.dumps({"cell": failed, "died": died}))
        sys.exit(4)
    if failed is not None:
        print(json.dumps({"cell": failed}))
        sys.exit(3)


if __name__ == "__main__":
    main()
