#!/bin/sh
# Print the best emulator this host offers for VT-x: QEMU with nested KVM
# when /dev/kvm runs VMX guests, else Bochs (which emulates VMX).
if [ -r /sys/module/kvm_intel/parameters/nested ] &&
   grep -q '^[Y1]' /sys/module/kvm_intel/parameters/nested && [ -w /dev/kvm ]; then
    echo qemu-kvm
else
    echo bochs
fi
